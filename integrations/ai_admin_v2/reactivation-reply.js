'use strict';

/**
 * Reply handler for the ai_admin_v2 bot: is this client's message an answer to our reactivation
 * message, and what should the bot's prompt know about it?
 *
 * The reactivation runner leaves `pendingAction = {type: 'reactivation_response', ...}` in the
 * bot's dialog hash and keeps the same JSON in Postgres (`reactivation.reply_context`). The bot
 * parses the hash already; this module reads that first and asks Postgres only when Redis lost
 * it (the bot's 24 h TTL, a Redis outage) or when the dialog is keyed by a WhatsApp LID rather
 * than the phone our message went to. It never throws into the bot's reply path: a failed
 * lookup is reported as "not a reply", with the reason.
 *
 * Usage (see README.md for where the bot calls it):
 *
 *   const { createReactivationReplies } = require('./reactivation-reply');
 *   const replies = createReactivationReplies({ db: pgPool });
 *   const reply = await replies.inspect({ companyId, phone, context: dialogContext });
 *   if (reply.isReply) prompt += '\n' + reply.promptText;
 */

const ACTION_TYPE = 'reactivation_response';
const DEFAULT_TIME_ZONE = 'Europe/Moscow';
const REPLY_CONTEXT_SQL = 'select reactivation.reply_context($1, $2) as action';

/**
 * @param {object} options
 * @param {{query: Function}} options.db  a pg Pool or Client (anything with query(text, values))
 * @param {() => Date} [options.now]      the clock (tests pin it)
 * @param {{warn: Function}} [options.logger]  where failed lookups are reported
 */
function createReactivationReplies({ db, now = () => new Date(), logger = console } = {}) {
  if (!db || typeof db.query !== 'function') {
    throw new TypeError(
      'createReactivationReplies needs { db }: a pg Pool or Client with query(text, values)'
    );
  }

  /**
   * @param {object} args
   * @param {number|string} args.companyId  the YClients salon id (the bot's companyId)
   * @param {string} args.phone             the phone (or LID digits) the bot keys the dialog by
   * @param {object|null} [args.context]    the bot's parsed dialog context (getDialogContext)
   * @param {string[]} [args.knownPhones]   other numbers the bot knows for this client, e.g. the
   *                                         phone of its clients row when the dialog is a LID
   * @param {string} [args.timeZone]        the salon's IANA zone, for the dates in the prompt
   * @returns {Promise<{isReply: boolean, source: 'redis'|'postgres'|null, action: object|null,
   *                    promptLines: string[], promptText: string, reason: string|null}>}
   */
  async function inspect({ companyId, phone, context = null, knownPhones = [], timeZone }) {
    const zone = timeZone || DEFAULT_TIME_ZONE;
    const pending = parsePendingAction(context && context.pendingAction);
    if (pending && pending.type !== ACTION_TYPE) {
      return notAReply("the dialog holds the bot's own pendingAction");
    }
    if (pending) {
      return windowIsOpen(pending, now())
        ? aReply(pending, 'redis', zone)
        : notAReply("our message's reply window has closed");
    }
    try {
      const action = await durableAction(companyId, [phone, ...knownPhones]);
      return action
        ? aReply(action, 'postgres', zone)
        : notAReply('no message of ours inside its reply window');
    } catch (error) {
      logger.warn(`reactivation reply lookup failed: ${error.message}`);
      return notAReply(`lookup failed: ${error.message}`);
    }
  }

  async function durableAction(companyId, phones) {
    const tried = new Set();
    for (const phone of phones) {
      const key = phone == null ? '' : String(phone).trim();
      if (!key || tried.has(key)) continue;
      tried.add(key);
      // The function normalizes the phone by the bot's own rule, so any format works here.
      const { rows } = await db.query(REPLY_CONTEXT_SQL, [Number(companyId), key]);
      const action = rows.length ? parsePendingAction(rows[0].action) : null;
      if (action && action.type === ACTION_TYPE) return action;
    }
    return null;
  }

  return { inspect };
}

/** The bot stores pendingAction as a JSON string ('null' = none); accept it parsed too. */
function parsePendingAction(value) {
  if (value == null || value === '') return null;
  if (typeof value === 'object') return value;
  try {
    const parsed = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

function windowIsOpen(action, at) {
  // Contexts written before replyUntil existed are bounded by their Redis TTL alone.
  if (!action.replyUntil) return true;
  const until = Date.parse(action.replyUntil);
  return Number.isNaN(until) || until > at.getTime();
}

function aReply(action, source, timeZone) {
  const promptLines = replyPromptLines(action, timeZone);
  return {
    isReply: true,
    source,
    action,
    promptLines,
    promptText: promptLines.join('\n'),
    reason: null,
  };
}

function notAReply(reason) {
  return { isReply: false, source: null, action: null, promptLines: [], promptText: '', reason };
}

/** What the bot's prompt needs to answer "Да, хочу" knowing what we offered. */
function replyPromptLines(action, timeZone) {
  const lines = [];
  const sentAt = formatMoment(action.messageSentAt, timeZone);
  lines.push(
    `КОНТЕКСТ: клиент отвечает на наше сообщение с приглашением вернуться${
      sentAt ? `, отправленное ${sentAt}` : ''
    }.`
  );
  if (action.messageSent) lines.push(`Мы написали: «${action.messageSent}»`);
  const service = action.suggestedService && action.suggestedService.name;
  if (service) lines.push(`Мы предлагали услугу: ${service}.`);
  const habit = [];
  if (Number.isFinite(action.intervalDays)) {
    habit.push(`обычно приходит раз в ${action.intervalDays} дн.`);
  }
  const lastVisit = formatDay(action.lastVisitDate);
  if (lastVisit) {
    const ago = Number.isFinite(action.daysInactive) ? ` (${action.daysInactive} дн. назад)` : '';
    habit.push(`последний визит ${lastVisit}${ago}`);
  }
  if (habit.length) lines.push(`Клиент ${habit.join('; ')}.`);
  lines.push(
    service
      ? `Если клиент согласен, предложи записать его на «${service}» и подбери время.`
      : 'Если клиент согласен, уточни услугу и подбери время.'
  );
  lines.push('Если клиент просит больше не писать, извинись и не предлагай запись.');
  return lines;
}

function formatMoment(iso, timeZone) {
  const at = iso ? new Date(iso) : null;
  if (!at || Number.isNaN(at.getTime())) return null;
  const parts = new Intl.DateTimeFormat('ru-RU', {
    timeZone,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
  return parts.replace(', ', ' в ');
}

function formatDay(isoDate) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate || '');
  return match ? `${match[3]}.${match[2]}.${match[1]}` : null;
}

module.exports = { createReactivationReplies, parsePendingAction, replyPromptLines, ACTION_TYPE };
