import { chorusTsup } from '@chorus-dht/tsup-config'

export default chorusTsup({ entry: { index: 'src/index.ts', 'compliance/index': 'src/compliance/index.ts' } })
