-- Governance rule 14 (keys), over every model of the graph: see primary_key_problems().
{{ problems_as_rows(primary_key_problems()) }}
