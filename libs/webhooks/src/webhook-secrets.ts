import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '#auth';
import { AppConfig } from '#core';
import { SECRET_PREFIX } from './delivery/signing.js';

/**
 * Endpoint secrets at rest: sealed with the secret box (AES-256-GCM, key derived from SECRET_KEY for
 * this purpose), the endpoint id as associated data so a sealed secret copied to another row does
 * not open. Plain secrets exist only in memory, while signing, and once in the create/rotate answer.
 */
@Injectable()
export class WebhookSecrets {
  private readonly box: SecretBox;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    this.box = new SecretBox(config.SECRET_KEY ?? '', 'webhook-endpoint-secret');
  }

  seal(secret: string, endpointId: string): string {
    return this.box.encrypt(secret, endpointId);
  }

  open(sealed: string, endpointId: string): string {
    return this.box.decrypt(sealed, endpointId);
  }

  /**
   * WEBHOOK_SIGNING_SECRET (the env targets' secret, any string) as a Standard Webhooks secret: its
   * UTF-8 bytes are the key, so a receiver verifies with `whsec_` + base64(secret).
   */
  envStandardSecret(): string | undefined {
    const secret = this.config.WEBHOOK_SIGNING_SECRET;
    return secret ? SECRET_PREFIX + Buffer.from(secret, 'utf8').toString('base64') : undefined;
  }
}
