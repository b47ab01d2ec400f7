{% macro reply_is_opt_out(lowered) -%}
    {#- A reply asking us to stop: the bot's own negative phrases plus close variants. Russian
        words are matched with explicit letter boundaries (\m does not know Cyrillic under the
        C locale). -#}
    {{ lowered }} ~ '(не\s+пиш|отпис|отпиш|не\s+беспоко|(^|[^а-я])стоп($|[^а-я])|спам|удалите\s+(мой\s+)?номер|больше\s+не\s+(пиш|присыл))'
{%- endmacro %}

{% macro reply_class(lowered) -%}
    {#- positive / negative / neutral by keyword rules, checked in this order: a refusal often
        contains a positive word ("не хочу", "неудобно"). -#}
    case
        when {{ reply_is_opt_out(lowered) }} then 'negative'
        when
            {{ lowered }}
            ~ '((^|[^а-я])нет($|[^а-я])|не\s+(хочу|надо|нужно|интересно|актуально)|неудобно|переехал)'
            then 'negative'
        when
            {{ lowered }}
            ~ '((^|[^а-я])(да|давайте|можно|хочу|конечно|удобно)($|[^а-я])|запиш|записат|когда\s+можно|свободн|окошк)'
            then 'positive'
        else 'neutral'
    end
{%- endmacro %}
