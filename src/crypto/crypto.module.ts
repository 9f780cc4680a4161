import { Global, Module } from '@nestjs/common';
import { Keyring } from './keyring';
import { keyringProvider } from './keyring.provider';

/** The keyring that seals what is kept at rest: secret content and the teams' webhook signing secrets. */
@Global()
@Module({ providers: [keyringProvider], exports: [Keyring] })
export class CryptoModule {}
