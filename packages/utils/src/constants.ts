/** The longest delay a Node.js timer waits, ms (`2 ** 31 - 1`); a longer one fires at once. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1
