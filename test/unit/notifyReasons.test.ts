// What a reviewer notification says about why a person is needed: policy's own words always, but
// never what an agent said (its question, a tool call's arguments) about confidential or pii work.
import { describe, expect, it } from 'vitest';
import { reasonsToSend, type Notice } from '../../src/workflows/contract/notify.js';

const notice = (subject: Notice['subject'], why: string[]): Notice => ({
  event: 'review-opened',
  subject,
  review: 1,
  level: 0,
  group: 'analysts',
  reviewers: ['alice'],
  deadline: '2026-12-01T00:00:00.000Z',
  why,
});

describe('notification reasons', () => {
  it("sends policy's explanations whatever the data class", () => {
    const why = ['regulated-low-confidence: Regulated domains … need a human.'];
    for (const dataClass of ['public', 'internal', 'confidential', 'pii']) {
      expect(reasonsToSend(notice('contract', why), dataClass)).toEqual(why);
    }
  });

  it("keeps an agent's question about pii or confidential work out of the message", () => {
    const why = ['agent remote asks (remote task t1): is patient 4711 Jane Roe, born 1980-02-01?'];
    expect(reasonsToSend(notice('agent-question', why), 'internal')).toEqual(why);
    for (const dataClass of ['confidential', 'pii']) {
      const sent = reasonsToSend(notice('agent-question', why), dataClass).join(' ');
      expect(sent).not.toContain('Jane Roe');
      expect(sent).toContain('arbiter reviews');
    }
    expect(
      reasonsToSend(notice('tool-call', ['write_file {"name":"Jane Roe"}']), 'pii').join(' '),
    ).not.toContain('Jane Roe');
  });
});
