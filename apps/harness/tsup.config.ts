import { chorusTsup } from '@chorus-dht/tsup-config'

export default chorusTsup({ entry: ['src/index.ts', 'src/cli.ts'] })
