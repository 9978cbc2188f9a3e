/** Default data directory. */
export const DEFAULT_DATA_DIR = './.chorus-dht'
