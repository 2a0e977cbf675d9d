import type { TwilioConnection } from '../binding/metadata';
import { createClient, toBindingError } from './messages';

/**
 * The account resource: the SDK's `AccountInstance.toJSON()`, camelCase. It holds `authToken`, as Twilio's
 * answer does: pick the fields to pass on, never pass it on whole.
 */
export type AccountResource = Record<string, unknown>;

/** Fetches the account of the connection's credentials; fails with a BindingError. */
export type FetchAccount = (connection: TwilioConnection) => Promise<AccountResource>;

/**
 * One `GET /2010-04-01/Accounts/{accountSid}.json`, with the client the messages use. It creates nothing, so
 * a timeout or a broken connection has no consequence to report. A new client per call, without keep-alive:
 * a one-off check should leave no connection open behind it.
 */
export const fetchAccount: FetchAccount = async (connection) => {
  try {
    const client = createClient(connection, { keepAlive: false });
    const account = await client.api.v2010.accounts(connection.accountSid).fetch();
    return account.toJSON();
  } catch (err) {
    throw toBindingError(err, connection.timeoutMs, null);
  }
};
