import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Parses every request body as JSON, whatever its Content-Type (MSTC clients are not careful with it), and
 * answers an unreadable or oversized body with a 400 that says which. Express's own error page would be HTML.
 */
export function jsonBodyParser(limitBytes: number) {
  const parse = express.json({ limit: limitBytes, type: () => true, strict: false });
  return (request: Request, response: Response, next: NextFunction) => {
    parse(request, response, (error?: { type?: string; message?: string }) => {
      if (!error) return next();
      const message =
        error.type === 'entity.too.large'
          ? `Request body is larger than the limit of ${limitBytes} bytes`
          : `Request body is not valid JSON: ${error.message ?? 'unreadable'}`;
      response.status(400).json({ statusCode: 400, error: 'Bad Request', message });
    });
  };
}
