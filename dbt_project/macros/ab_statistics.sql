{#- Two-proportion statistics at 95 %: Wilson intervals for a rate, a Wald interval for the
    difference of two rates, and the pooled two-proportion z-test's two-sided p-value. -#}

{% macro z95() %}1.959963984540054{% endmacro %}

{% macro wilson_bound(conversions, n, sign) -%}
    case when {{ n }} > 0 then
        (
            ({{ conversions }})::float8 / ({{ n }})
            + {{ z95() }} ^ 2 / (2.0 * ({{ n }}))
            {{ sign }} {{ z95() }} * sqrt(
                ({{ conversions }})::float8 / ({{ n }})
                * (1 - ({{ conversions }})::float8 / ({{ n }})) / ({{ n }})
                + {{ z95() }} ^ 2 / (4.0 * ({{ n }}) ^ 2)
            )
        ) / (1 + {{ z95() }} ^ 2 / ({{ n }}))
    end
{%- endmacro %}

{% macro difference_standard_error(p1, n1, p0, n0) -%}
    sqrt({{ p1 }} * (1 - {{ p1 }}) / ({{ n1 }}) + {{ p0 }} * (1 - {{ p0 }}) / ({{ n0 }}))
{%- endmacro %}

{% macro two_proportion_p_value(c1, n1, c0, n0) -%}
    {#- Pooled z-test; with no variance at all (both rates 0 or both 1) the arms agree: p = 1. -#}
    case
        when ({{ n1 }}) = 0 or ({{ n0 }}) = 0 then null
        when ({{ c1 }}) + ({{ c0 }}) in (0, ({{ n1 }}) + ({{ n0 }})) then 1.0
        else
            erfc(
                abs(({{ c1 }})::float8 / ({{ n1 }}) - ({{ c0 }})::float8 / ({{ n0 }}))
                / sqrt(
                    (({{ c1 }}) + ({{ c0 }}))::float8 / (({{ n1 }}) + ({{ n0 }}))
                    * (1 - (({{ c1 }}) + ({{ c0 }}))::float8 / (({{ n1 }}) + ({{ n0 }})))
                    * (1.0 / ({{ n1 }}) + 1.0 / ({{ n0 }}))
                )
                / sqrt(2.0)
            )
    end
{%- endmacro %}
