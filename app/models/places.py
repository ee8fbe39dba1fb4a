"""Provinces and their municipalities, with the profile that resource tiers are drawn from."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models._types import UTCDateTime, utcnow


class Province(db.Model):
    __tablename__ = "provinces"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Persian name, e.g. «قم»
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: the form records the device's place at the visit's start and at submission, with the
    #: inspectors' consent: off unless an admin turns it on for the province
    record_location: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())

    municipalities: Mapped[list[Municipality]] = relationship(
        back_populates="province", order_by="Municipality.name")


class Municipality(db.Model):
    __tablename__ = "municipalities"
    __table_args__ = (
        UniqueConstraint("province_id", "name", name="province_name"),
        CheckConstraint("grade BETWEEN 1 AND 12", name="grade_range"),
        CheckConstraint("population IS NULL OR population >= 0", name="population_positive"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the province the municipality belongs to
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    #: Persian name of the town, e.g. «دستجرد»
    name: Mapped[str] = mapped_column(String(100))
    #: the name folded for search (normalised ی/ک, Latin digits, lower case)
    name_key: Mapped[str] = mapped_column(String(100), index=True, default="")
    #: the county (شهرستان) the town lies in
    county: Mapped[str] = mapped_column(String(100), default="")
    #: municipal grade, درجه ۱ (smallest) to ۱۲ (largest), set by the Ministry of the Interior
    grade: Mapped[int] = mapped_column(Integer)
    #: residents at the last census
    population: Mapped[int | None] = mapped_column(Integer)
    #: the Jalali year of that census, e.g. 1395
    census_year: Mapped[int | None] = mapped_column(Integer)
    #: yearly budget in millions of rials (a resource a tier may name)
    budget_million_rial: Mapped[int | None] = mapped_column(Integer)
    #: number of staff on the municipality's payroll (a resource a tier may name)
    staff_count: Mapped[int | None] = mapped_column(Integer)
    #: area of the town in hectares
    area_hectares: Mapped[int | None] = mapped_column(Integer)
    #: the town centre (WGS84 degrees), optional: distances of visits and photos are
    #: measured from it
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: last change of the profile
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    province: Mapped[Province] = relationship(back_populates="municipalities")

    def tier_basis(self) -> dict:
        """The profile a tier is derived from and computed criteria read (population, budget
        …), as snapshotted on an evaluation when it is planned: later edits of the
        municipality do not change an evaluation's values."""
        return {"grade": self.grade, "population": self.population,
                "census_year": self.census_year, "budget_million_rial": self.budget_million_rial,
                "staff_count": self.staff_count, "area_hectares": self.area_hectares}

    def profile_differs(self, snapshot: dict | None) -> bool:
        """Whether today's profile differs from an evaluation's `snapshot` of it (a value
        the snapshot predates, such as the area in an old one, counts only once it is set)."""
        snapshot = snapshot or {}
        return any(snapshot.get(key) != value for key, value in self.tier_basis().items()
                   if key in snapshot or value is not None)
