-- Governance rule 8 (metadata coverage), ownership: every model and seed has an owning group whose
-- owner is named; see ownership_problems().
{{ problems_as_rows(ownership_problems()) }}
