"""WTForms forms: a base form that normalises Persian input, Persian-aware fields, and the
evaluation form built from a rubric. Forms may import ``app.rubric`` and ``app.i18n``; never
views or services."""
