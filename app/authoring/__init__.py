"""Rubric authoring: publishing immutable versions (services), comparing two versions in words
(diff), checking a draft as ``rubric check`` does (drafts), the authors' pages (views) and
``arzyab rubric diff`` (cli)."""
