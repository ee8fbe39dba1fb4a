"""Self-declaration (خوداظهاری) by the municipality, then verification (راستی‌آزمایی)
by the inspector: ``services`` owns the use cases, ``views`` the pages."""
