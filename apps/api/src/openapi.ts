import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document, generated from the controllers and DTOs, at /docs (browsable) and /docs/openapi.json. */
export function serveOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('cloud-worker')
    .setDescription(
      'Submit work requests that run as Kubernetes Jobs, follow them, and read their logs. ' +
        'The same requests can be published straight to RabbitMQ (`mstc.exchange`, routing key `mstc.queue.work`).',
    )
    .setVersion(version)
    // A static API token or a JWT of the OIDC issuer, as `Authorization: Bearer <token>`; /health/* needs none.
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A static API token, or a JWT of the configured OIDC issuer.' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json', yamlDocumentUrl: 'docs/openapi.yaml' });
}
