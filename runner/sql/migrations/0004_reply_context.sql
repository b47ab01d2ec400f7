-- The durable copy of each message's dialog context, readable by whoever answers the client's
-- reply (the bot's reply handler calls reply_context when Redis lost the key), and the end of
-- the reply window each message was sent with, so every reader applies the same window.

alter table reactivation.client_reactivation_history
add column reply_until timestamptz;

comment on column reactivation.client_reactivation_history.reply_until is
'Until when a reply from the client answers this message: the send plus the reply window.';

-- Messages sent before this column existed had the default window of 72 hours.
update reactivation.client_reactivation_history
set reply_until = coalesce(sent_at, send_started_at) + interval '72 hours'
where coalesce(sent_at, send_started_at) is not null;

create index client_reactivation_history_reply_idx
on reactivation.client_reactivation_history (company_id, phone, send_started_at desc)
where context_payload is not null;

-- The bot's phone key (runner/phones.py, the dbt macro normalize_phone): the digits;
-- 8XXXXXXXXXX -> 7XXXXXXXXXX, 9XXXXXXXXX -> 79XXXXXXXXX; not 10-15 digits long is no phone.
create function reactivation.normalize_phone(raw text)
returns text
language sql
immutable
parallel safe
return (
    select
        case
            when length(stripped.digits) = 11 and stripped.digits like '8%'
                then '7' || substr(stripped.digits, 2)
            when length(stripped.digits) = 10 and stripped.digits like '9%'
                then '7' || stripped.digits
            when length(stripped.digits) between 10 and 15 then stripped.digits
        end
    from (select regexp_replace(raw, '[^0-9]', '', 'g') as digits) as stripped
);

-- The pendingAction of the last message that may have reached this phone (sent, unknown, or
-- handed to the gateway right now) while its reply window is open; null otherwise. The
-- arguments are unqualified: sqlfluff reads them as columns (noqa RF03).
create function reactivation.reply_context(for_company_id integer, for_phone text)
returns jsonb
language sql
stable
return (
    select history.context_payload -> 'pendingAction'
    from reactivation.client_reactivation_history as history
    where
        history.company_id = for_company_id  -- noqa: RF03
        and history.phone = reactivation.normalize_phone(for_phone)  -- noqa: RF03
        and history.context_payload is not null
        and history.reply_until > now()
        and (
            history.status in ('sent', 'unknown')
            or (history.status = 'claimed' and history.send_started_at is not null)
        )
    order by history.send_started_at desc, history.history_id desc
    limit 1
);

comment on function reactivation.reply_context(integer, text) is
'The dialog context (pendingAction JSON) of our last message to this phone inside its reply '
'window, or null: the durable copy for a reply handler when Redis lost the key.';
