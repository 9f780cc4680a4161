/** API.md's shortest passcode; a shorter guess at reveal cannot be right. */
export const MIN_PASSCODE_LENGTH = 4;

/** API.md's longest passcode; a longer guess at reveal is refused unjudged. */
export const MAX_PASSCODE_LENGTH = 128;

/** Wrong passcodes a secret takes: the fifth burns it. */
export const MAX_PASSCODE_ATTEMPTS = 5;
