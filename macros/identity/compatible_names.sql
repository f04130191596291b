{#-
    compatible_names(l, r, similarity): true when two identity records' names can belong to one
    person: the first names agree (same nickname-canonical name, same metaphone code, or
    Jaro-Winkler >= similarity), or first and last names are swapped; and the birth dates do not
    disagree. Surnames are not required to agree (married-name changes). A side without a first
    name is compatible on names.
-#}
{% macro compatible_names(l, r, similarity) -%}
    (
        (
            {{ l }}.first_name_norm is null
            or {{ r }}.first_name_norm is null
            or {{ l }}.first_name_canonical = {{ r }}.first_name_canonical
            or {{ l }}.first_name_metaphone = {{ r }}.first_name_metaphone
            or {{ name_similarity(l ~ '.first_name_norm', r ~ '.first_name_norm') }} >= {{ similarity }}
            or (
                {{ l }}.first_name_norm = {{ r }}.last_name_norm
                and {{ l }}.last_name_norm = {{ r }}.first_name_norm
            )
        )
        and (
            {{ l }}.date_of_birth is null
            or {{ r }}.date_of_birth is null
            or {{ l }}.date_of_birth = {{ r }}.date_of_birth
        )
    )
{%- endmacro %}
