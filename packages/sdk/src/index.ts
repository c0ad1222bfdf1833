/**
 * The Switchboard TypeScript SDK. Its RELAY client and REST client arrive with the RELAY issue;
 * until then it re-exports the shared wire vocabulary.
 */
export * from '@switchboard/protocol';
