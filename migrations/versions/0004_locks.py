"""the database itself refuses changes to approved evaluations and published records

Revision ID: 0004_locks
Revises: 0003_answer_device

Approved evaluations, their answers, unit results, photos and recommendations, published
rubric versions and stored final reports cannot change: the services refuse first, and these
triggers make sure nothing else (a script, a bug, a hand-written UPDATE) can either.
"""

from alembic import op

revision = "0004_locks"
down_revision = "0003_answer_device"
branch_labels = None
depends_on = None

CHILDREN = ("answers", "unit_results", "evidence", "recommendations")
FROZEN = ("rubric_versions", "stored_reports")
MESSAGE = "approved evaluations are locked"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite()
    else:
        _postgresql()


def _sqlite():
    for table in CHILDREN:
        for verb, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER {table}_locked_{verb.lower()} BEFORE {verb} ON {table} "
                f"WHEN (SELECT status FROM evaluations WHERE id = {row}.evaluation_id) "
                f"= 'approved' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER evaluations_locked_{verb.lower()} BEFORE {verb} ON evaluations "
            f"WHEN OLD.status = 'approved' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        for table in FROZEN:
            op.execute(
                f"CREATE TRIGGER {table}_frozen_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} cannot change once written'); END")


def _postgresql():
    op.execute(f"""
        CREATE OR REPLACE FUNCTION arzyab_child_of_approved() RETURNS trigger AS $$
        BEGIN
          IF (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM evaluations
                WHERE id = OLD.evaluation_id AND status = 'approved'))
             OR (TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM evaluations
                WHERE id = NEW.evaluation_id AND status = 'approved')) THEN
            RAISE EXCEPTION '{MESSAGE}';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION arzyab_approved_evaluation() RETURNS trigger AS $$
        BEGIN
          IF OLD.status = 'approved' THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE OR REPLACE FUNCTION arzyab_frozen() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION '% cannot change once written', TG_TABLE_NAME;
        END $$ LANGUAGE plpgsql""")
    for table in CHILDREN:
        op.execute(f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION arzyab_child_of_approved()")
    op.execute("CREATE TRIGGER evaluations_locked BEFORE UPDATE OR DELETE ON evaluations "
               "FOR EACH ROW EXECUTE FUNCTION arzyab_approved_evaluation()")
    for table in FROZEN:
        op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION arzyab_frozen()")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in CHILDREN:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_locked_{verb}")
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS evaluations_locked_{verb}")
            for table in FROZEN:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_{verb}")
        return
    for table in CHILDREN:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_locked ON {table}")
    op.execute("DROP TRIGGER IF EXISTS evaluations_locked ON evaluations")
    for table in FROZEN:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
    for function in ("arzyab_child_of_approved", "arzyab_approved_evaluation", "arzyab_frozen"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
