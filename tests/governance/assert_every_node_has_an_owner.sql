-- Governance rule 8 (metadata coverage), ownership: every model, seed, metric and semantic model
-- has an owning group whose owner is named; see ownership_problems().
{{ problems_as_rows(ownership_problems()) }}
