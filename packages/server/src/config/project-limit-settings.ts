/**
 * How many phone numbers, number groups, cXML applications and opt-out entries one project may
 * keep. Their own file because settings.ts is at its size limit; spread into the settings table there.
 */
import { DEFAULT_PROJECT_LIMITS } from '../domain/project-limits.js';
import { parsers, type SettingSpec } from './setting-parsers.js';

const MAX = 10_000_000;

export const PROJECT_LIMIT_SETTINGS = {
  maxNumbersPerProject: {
    key: 'projects.maxNumbers',
    env: 'SWITCHBOARD_MAX_NUMBERS_PER_PROJECT',
    flag: null,
    description:
      'Phone numbers one project may have registered. One more (native API, Compatibility API IncomingPhoneNumbers, console, CLI) answers 422 `phone_number_limit_reached` (Compatibility API 400, code 10000) until one is released. Concurrent registrations count one after the other.',
    default: DEFAULT_PROJECT_LIMITS.numbers,
    parse: parsers.int(1, MAX),
  },
  maxNumberGroupsPerProject: {
    key: 'projects.maxNumberGroups',
    env: 'SWITCHBOARD_MAX_NUMBER_GROUPS_PER_PROJECT',
    flag: null,
    description:
      "Number groups one project may have (Twilio's default limit of Messaging Services). One more answers 422 `number_group_limit_reached` (Compatibility code 30995, Twilio's) until one is deleted. A group's members are limited apart (400).",
    default: DEFAULT_PROJECT_LIMITS.numberGroups,
    parse: parsers.int(1, MAX),
  },
  maxApplicationsPerProject: {
    key: 'projects.maxApplications',
    env: 'SWITCHBOARD_MAX_APPLICATIONS_PER_PROJECT',
    flag: null,
    description:
      "cXML applications one project may have (Twilio's limit of TwiML applications). One more answers 400 with Twilio's code 21301 until one is deleted.",
    default: DEFAULT_PROJECT_LIMITS.applications,
    parse: parsers.int(1, MAX),
  },
  maxOptOutsPerProject: {
    key: 'projects.maxOptOuts',
    env: 'SWITCHBOARD_MAX_OPT_OUTS_PER_PROJECT',
    flag: null,
    description:
      "Entries one project's opt-out lists may hold for the API (and console) to add more. One more added through the API answers 422 `opt_out_limit_reached` until entries are removed; an entry already listed is still returned. A handset that texts STOP is always listed, past it too (the law requires honouring it), and its entries count. Neither Twilio nor SignalWire documents a limit on an opt-out list. Concurrent adds count one after the other.",
    default: DEFAULT_PROJECT_LIMITS.optOuts,
    parse: parsers.int(1, 100_000_000),
  },
} satisfies Record<string, SettingSpec<unknown>>;
