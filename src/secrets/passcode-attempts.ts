/** Wrong passcodes a secret takes: the fifth burns it. */
export const MAX_PASSCODE_ATTEMPTS = 5;
