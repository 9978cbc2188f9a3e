export { default } from '@chorus-dht/vitest-config'
