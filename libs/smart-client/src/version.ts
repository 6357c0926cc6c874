/** The broker's version, as in package.json (a unit test keeps the two equal). */
export const BROKER_VERSION = '0.1.0';

/** Sent on every outbound request so health systems can identify (and contact) the broker's traffic. */
export const USER_AGENT = `smart-registration-broker/${BROKER_VERSION}`;
