import { CommonConfig } from './common.config.js';

/** The api's configuration: what both apps share (MAX_REQUEST_BYTES included, as the worker applies it to messages). */
export class ApiConfig extends CommonConfig {}
