-- Governance rule 8 (metadata coverage) for the dbt semantic layer: no dimension reads a column
-- that is personal data, no entity or measure reads direct or sensitive PII; see
-- semantic_layer_problems().
{{ problems_as_rows(semantic_layer_problems()) }}
