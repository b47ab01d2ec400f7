'use strict';

// Runs against real Redis and Postgres that hold what a real reactivation run wrote: the Python
// suite (tests/test_bot_reply_handler.py) runs a live campaign, then starts these tests with
// PG* and REDIS_URL pointing at those servers and REACTIVATION_FIXTURE naming the salon and
// the phones it messaged.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, before, describe, test } = require('node:test');

const Redis = require('ioredis');
const { Pool } = require('pg');

const { createReactivationReplies, parsePendingAction } = require('../reactivation-reply');

const fixturePath = process.env.REACTIVATION_FIXTURE;
if (!fixturePath) {
  throw new Error('REACTIVATION_FIXTURE is not set: run these tests through `make test`');
}
const fixture = JSON.parse(fs.readFileSync(fixturePath, 'utf8'));
const [onlyInRedis, lostFromRedis, reachedUnderLid, ownPendingAction, windowClosed] =
  fixture.phones;

function redisFromUrl(url) {
  return url.startsWith('unix://') ? new Redis({ path: url.slice('unix://'.length) }) : new Redis(url);
}

/** The dialog as the bot's context service reads it: hgetall, then JSON fields parsed. */
async function botDialogContext(redis, phone) {
  const data = await redis.hgetall(`dialog:${fixture.companyId}:whatsapp:${phone}`);
  if (!Object.keys(data).length) return null;
  return {
    ...data,
    selection: data.selection ? JSON.parse(data.selection) : {},
    pendingAction: data.pendingAction ? JSON.parse(data.pendingAction) : null,
  };
}

describe('reactivation replies against real Redis and Postgres', () => {
  let redis;
  let pool;
  let queries;
  let replies;

  before(() => {
    redis = redisFromUrl(process.env.REDIS_URL);
    pool = new Pool({ max: 2 });
    queries = 0;
    const counted = { query: (...args) => ((queries += 1), pool.query(...args)) };
    replies = createReactivationReplies({ db: counted, logger: { warn() {} } });
  });

  after(async () => {
    await pool.end();
    redis.disconnect();
  });

  test('a context in Redis is a reply, with what we sent and offered in the prompt', async () => {
    const context = await botDialogContext(redis, onlyInRedis);
    const before = queries;

    const reply = await replies.inspect({
      companyId: fixture.companyId,
      phone: onlyInRedis,
      context,
      timeZone: fixture.timeZone,
    });

    assert.equal(reply.isReply, true);
    assert.equal(reply.source, 'redis');
    assert.equal(queries, before, 'Postgres is not asked when Redis has the context');
    assert.equal(reply.action.reactivationHistoryId, context.pendingAction.reactivationHistoryId);
    assert.ok(reply.promptText.includes(context.pendingAction.messageSent));
    assert.ok(reply.promptText.includes('Мы предлагали услугу: Стрижка мужская.'));
    assert.ok(reply.promptText.includes('обычно приходит раз в 30 дн.'));
    assert.ok(reply.promptText.includes('последний визит 15.10.2026 (40 дн. назад)'));
    assert.match(reply.promptLines[0], /отправленное \d{2}\.\d{2}\.\d{4} в \d{2}:\d{2}/);
  });

  test('when Redis lost the context, the durable copy in Postgres answers', async () => {
    const written = await botDialogContext(redis, lostFromRedis);
    await redis.del(`dialog:${fixture.companyId}:whatsapp:${lostFromRedis}`);

    const reply = await replies.inspect({
      companyId: fixture.companyId,
      phone: lostFromRedis,
      context: await botDialogContext(redis, lostFromRedis),
    });

    assert.equal(reply.isReply, true);
    assert.equal(reply.source, 'postgres');
    assert.deepEqual(reply.action, written.pendingAction);
  });

  test('a dialog keyed by a LID is found through the phone the bot knows', async () => {
    const lid = '214748364712345';
    const known = `+7 (${reachedUnderLid.slice(1, 4)}) ${reachedUnderLid.slice(4)}`;

    const byLidAlone = await replies.inspect({ companyId: fixture.companyId, phone: lid });
    const withPhone = await replies.inspect({
      companyId: fixture.companyId,
      phone: lid,
      context: null,
      knownPhones: [known],
    });

    assert.equal(byLidAlone.isReply, false);
    assert.equal(withPhone.isReply, true);
    assert.equal(withPhone.source, 'postgres');
  });

  test("the bot's own pendingAction means the dialog moved on: not a reply", async () => {
    const context = await botDialogContext(redis, ownPendingAction);
    context.pendingAction = { type: 'cancellation', recordId: 1 };
    const before = queries;

    const reply = await replies.inspect({
      companyId: fixture.companyId,
      phone: ownPendingAction,
      context,
    });

    assert.equal(reply.isReply, false);
    assert.equal(queries, before);
  });

  test('a context past its reply window is not a reply', async () => {
    const context = await botDialogContext(redis, windowClosed);
    const late = createReactivationReplies({
      db: pool,
      now: () => new Date(Date.parse(context.pendingAction.replyUntil) + 1000),
    });

    const reply = await late.inspect({ companyId: fixture.companyId, phone: windowClosed, context });

    assert.equal(reply.isReply, false);
    assert.match(reply.reason, /window has closed/);
  });

  test('a phone we never messaged, or another salon, is not a reply', async () => {
    const stranger = await replies.inspect({ companyId: fixture.companyId, phone: '79990000000' });
    const elsewhere = await replies.inspect({ companyId: 1, phone: lostFromRedis });

    assert.equal(stranger.isReply, false);
    assert.equal(elsewhere.isReply, false);
  });

  test('a failing database never breaks the reply path', async () => {
    const broken = createReactivationReplies({
      db: { query: async () => Promise.reject(new Error('connection refused')) },
      logger: { warn() {} },
    });

    const reply = await broken.inspect({ companyId: fixture.companyId, phone: lostFromRedis });

    assert.equal(reply.isReply, false);
    assert.match(reply.reason, /connection refused/);
  });
});

test('pendingAction is read as the bot stores it', () => {
  assert.equal(parsePendingAction('null'), null);
  assert.equal(parsePendingAction(undefined), null);
  assert.equal(parsePendingAction('not json'), null);
  assert.deepEqual(parsePendingAction('{"type":"x"}'), { type: 'x' });
  assert.throws(() => createReactivationReplies({}), /needs \{ db \}/);
});
