-- Governance rule 8 (metadata coverage), over every mart of the graph: see metadata_coverage_problems().
{{ problems_as_rows(metadata_coverage_problems()) }}
