-- Governance rule 16 (freshness), over every source table of the graph: see freshness_problems().
{{ problems_as_rows(freshness_problems()) }}
