import { ApiProperty } from '@nestjs/swagger';

export class WebhookSecretResponse {
  @ApiProperty({
    example: 'whsec_…',
    description: 'Signs the Oncelink-Signature (as is) and webhook-signature (Standard Webhooks) headers',
  })
  secret!: string;

  @ApiProperty({ format: 'date-time' }) rotated_at!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Until then the secret this one replaced still signs too',
  })
  previous_expires_at!: string | null;
}
