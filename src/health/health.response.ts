import { ApiProperty } from '@nestjs/swagger';

export class HealthResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

/** Readiness's 503: which dependency did not answer, and the status a probe reads. */
export class UnavailableResponse {
  @ApiProperty({ example: 'Database unavailable.' }) message!: string;
  @ApiProperty({ enum: ['unavailable'] }) status!: 'unavailable';
}
