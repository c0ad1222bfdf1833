/**
 * Ids in a write that name another entity are resolved in the caller's project, in the engine (so
 * every surface — native, Compatibility, RELAY, console — shares the guard): project A naming
 * project B's cXML application, number group or phone number is refused exactly as an id that does
 * not exist is. Each case names B's resource, then names it again once B has deleted it: the two
 * refusals must be the same, word for word, so A learns nothing about B.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { AppError } from '../../domain/app-error.js';
import type { ProjectRecord } from '../../domain/project.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';

const B_NUMBER = '+15550000009';

let t: TestEngine;
let b: ProjectRecord;
let aNumberId: string;
let bNumberId: string;
beforeEach(async () => {
  t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() });
  b = await t.engine.projects.createProject({ name: 'Tenant B' });
  aNumberId = (await t.engine.reads.numbers.getByNumber(t.project.id, TEST_NUMBERS[0]))!.id;
  bNumberId = (await t.engine.numbers.register(b.id, { number: B_NUMBER })).id;
});
afterEach(() => t.close());

/** What a refused write threw: its details, as every surface's formatter reads them. */
async function refusal(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (err) {
    if (err instanceof AppError) return err.details;
    throw err;
  }
  throw new Error('the write was accepted');
}

/** The refusal for B's resource, which must equal the refusal once B's resource is gone. */
async function foreignLikeUnknown(write: () => Promise<unknown>, remove: () => Promise<unknown>): Promise<unknown> {
  const foreign = await refusal(write);
  await remove();
  expect(await refusal(write)).toEqual(foreign);
  return foreign;
}

describe("project A naming project B's ids in the engine", () => {
  it.each(['message_laml_application_id', 'messaging_handler_resource_id'])("refuses B's cXML application as A's number's %s, as an unknown one", async (field) => {
    const app = await t.engine.applications.create(b.id, { FriendlyName: 'B app', SmsUrl: 'https://b.example.com/sms' });
    const before = await t.engine.reads.numbers.get(t.project.id, aNumberId);
    const update = () => t.engine.numbers.update(t.project.id, aNumberId, { message_handler: 'laml_application', [field]: app.id });
    const details = await foreignLikeUnknown(update, () => t.engine.applications.delete(b.id, app.id));
    expect(details).toEqual([{ key: 'NUMBER_APPLICATION_INVALID', attribute: field, message: `${field} "${app.id}" is not a cXML application of your project.` }]);
    expect(await t.engine.reads.numbers.get(t.project.id, aNumberId)).toEqual(before);
  });

  it("refuses B's cXML application when A registers a number, and registers nothing", async () => {
    const app = await t.engine.applications.create(b.id, { FriendlyName: 'B app', SmsUrl: 'https://b.example.com/sms' });
    const register = () => t.engine.numbers.register(t.project.id, { number: '+15550000077', message_handler: 'laml_application', message_laml_application_id: app.id });
    const details = await foreignLikeUnknown(register, () => t.engine.applications.delete(b.id, app.id));
    expect(details).toMatchObject([{ key: 'NUMBER_APPLICATION_INVALID' }]);
    expect(await t.engine.reads.numbers.getByNumber(t.project.id, '+15550000077')).toBeUndefined();
  });

  it("accepts A's own application", async () => {
    const app = await t.engine.applications.create(t.project.id, { FriendlyName: 'A app', SmsUrl: 'https://a.example.com/sms' });
    const n = await t.engine.numbers.update(t.project.id, aNumberId, { message_handler: 'laml_application', message_laml_application_id: app.id.toUpperCase() });
    expect(n).toMatchObject({ messageHandler: 'laml_application', messageLamlApplicationId: app.id });
  });

  it("saves a round trip of a number whose own application was deleted since, and refuses changing to another unknown id", async () => {
    const app = await t.engine.applications.create(t.project.id, { FriendlyName: 'A app', SmsUrl: 'https://a.example.com/sms' });
    await t.engine.numbers.update(t.project.id, aNumberId, { message_handler: 'laml_application', message_laml_application_id: app.id });
    await t.engine.applications.delete(t.project.id, app.id);
    const n = await t.engine.numbers.update(t.project.id, aNumberId, { name: 'renamed', message_handler: 'laml_application', message_laml_application_id: app.id });
    expect(n).toMatchObject({ name: 'renamed', messageLamlApplicationId: app.id });
    await expect(t.engine.numbers.update(t.project.id, aNumberId, { message_laml_application_id: '00000000-0000-4000-8000-0000000000ff' })).rejects.toMatchObject({ key: 'NUMBER_APPLICATION_INVALID' });
  });

  it("answers A's update of B's number as not found, whatever the body", async () => {
    const before = await t.engine.reads.numbers.get(b.id, bNumberId);
    expect(await t.engine.numbers.update(t.project.id, bNumberId, { name: 'mine now', message_laml_application_id: 'no such app' })).toBeUndefined();
    expect(await t.engine.reads.numbers.get(b.id, bNumberId)).toEqual(before);
  });

  it("refuses a send naming B's cXML application, as an unknown one, and stores nothing", async () => {
    const app = await t.engine.applications.create(b.id, { FriendlyName: 'B app', SmsStatusCallback: 'https://b.example.com/status' });
    const details = await foreignLikeUnknown(() => t.send({ applicationId: app.id }), () => t.engine.applications.delete(b.id, app.id));
    expect(details).toEqual([{ key: 'APPLICATION_INVALID', attribute: 'application_sid', message: `ApplicationSid ${app.id} is not a cXML application of your project.` }]);
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
  });

  it("refuses a send from B's number group or B's number, as from unknown ones", async () => {
    const group = await t.engine.groups.create(b.id, { name: 'B group' });
    await t.engine.groups.addMember(b.id, group.id, { phone_number_id: bNumberId });
    const viaGroup = await foreignLikeUnknown(() => t.send({ from: undefined, numberGroupId: group.id }), () => t.engine.groups.delete(b.id, group.id));
    expect(viaGroup).toMatchObject([{ key: 'NUMBER_GROUP_INVALID' }]);
    const fromB = await foreignLikeUnknown(() => t.send({ from: B_NUMBER }), () => t.engine.numbers.release(b.id, bNumberId));
    expect(fromB).toMatchObject([{ key: 'FROM_NOT_OWNED' }]);
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
  });

  it("refuses B's phone number as a member of A's group, as an unknown one", async () => {
    const group = await t.engine.groups.create(t.project.id, { name: 'A group' });
    const details = await foreignLikeUnknown(() => t.engine.groups.addMember(t.project.id, group.id, { phone_number_id: bNumberId }), () => t.engine.numbers.release(b.id, bNumberId));
    expect(details).toMatchObject([{ attribute: 'phone_number_id' }]);
    expect((await t.engine.groups.get(t.project.id, group.id)).id).toBe(group.id);
  });

  it("refuses B's send naming A's application (the same guard, the other way)", async () => {
    const app = await t.engine.applications.create(t.project.id, { FriendlyName: 'A app' });
    await t.engine.numbers.register(b.id, { number: '+15550000010' });
    const input = { to: HANDSET, from: '+15550000010', body: 'x', media: undefined, callbackFormat: 'json', origin: 'relay', applicationId: app.id } as const;
    await expect(t.engine.acceptor.accept(b.id, input)).rejects.toMatchObject({ key: 'APPLICATION_INVALID' });
  });
});
