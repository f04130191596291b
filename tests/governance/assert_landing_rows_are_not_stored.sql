-- Governance rule 5 (erasure), over every model of the graph: see landing_copy_problems().
{{ problems_as_rows(landing_copy_problems()) }}
