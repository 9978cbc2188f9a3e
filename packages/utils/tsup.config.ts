export { default } from '@chorus-dht/tsup-config'
