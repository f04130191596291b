{#-
    compatible_names(l, r, similarity): true when two identity records' names can belong to one
    person: the first names agree (same nickname-canonical name), or are swapped with the last
    names, or are spelling variants (same metaphone code, or Jaro-Winkler >= similarity) of which at
    least one is rare; and the birth dates do not disagree. Surnames are not required to agree
    (married-name changes). A side without a first name is compatible on names.

    "Rare": a first name written this way by fewer than var identity_established_name_records
    records (`first_name_records`, counted over all identity records). Two spellings that are both
    common names in the data ("marina" / "mariana", "stephanie" / "steven", "trong" / "trung") are
    two names, not a typo: on a shared household email they are two people (measured on the 100k
    world: 70 of 317 such email or phone links joined two people; 4 of 2,255 where one spelling
    was rare). Nicknames belong in seeds/nickname_pairs.csv, which the canonical name applies.
-#}
{% macro compatible_names(l, r, similarity) -%}
    {%- set established = var('identity_established_name_records', 10) -%}
    (
        (
            {{ l }}.first_name_norm is null
            or {{ r }}.first_name_norm is null
            or {{ l }}.first_name_canonical = {{ r }}.first_name_canonical
            or (
                {{ l }}.first_name_norm = {{ r }}.last_name_norm
                and {{ l }}.last_name_norm = {{ r }}.first_name_norm
            )
            or (
                (
                    {{ l }}.first_name_metaphone = {{ r }}.first_name_metaphone
                    or {{ name_similarity(l ~ '.first_name_norm', r ~ '.first_name_norm') }} >= {{ similarity }}
                )
                and least({{ l }}.first_name_records, {{ r }}.first_name_records) < {{ established }}
            )
        )
        and (
            {{ l }}.date_of_birth is null
            or {{ r }}.date_of_birth is null
            or {{ l }}.date_of_birth = {{ r }}.date_of_birth
        )
    )
{%- endmacro %}
