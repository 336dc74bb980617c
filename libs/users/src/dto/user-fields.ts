export const FULL_NAME_MIN = 2;
export const FULL_NAME_MAX = 255;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const EMAIL_MAX = 255;
