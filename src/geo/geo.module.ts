import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ClientInfoPipe } from './client-info.pipe';
import { CountryLookup } from './country-lookup';

/** The viewer's country, offline: the country database loads once at start-up. Global: every route that records a client uses it. */
@Global()
@Module({
  providers: [
    { provide: CountryLookup, inject: [APP_CONFIG], useFactory: (config: AppConfig) => CountryLookup.open(config.geo.database) },
    ClientInfoPipe,
  ],
  exports: [CountryLookup, ClientInfoPipe],
})
export class GeoModule {}
