import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Parses every request body as JSON, whatever its Content-Type (MSTC clients are not careful with it). A body it
 * cannot take goes on as a Nest exception, which Nest's error handler answers as JSON; Express's would be HTML.
 */
export function jsonBodyParser(limitBytes: number) {
  const parse = express.json({ limit: limitBytes, type: () => true, strict: false });
  return (request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: { type?: string; message?: string }) => next(error && unreadable(error, limitBytes)));
}

function unreadable(error: { type?: string; message?: string }, limitBytes: number): Error {
  return error.type === 'entity.too.large'
    ? new PayloadTooLargeException(`Request body is larger than the limit of ${limitBytes} bytes`)
    : new BadRequestException(`Request body is not valid JSON: ${error.message ?? 'unreadable'}`);
}
