import { MessagingModule } from '@app/messaging';
import { Module } from '@nestjs/common';
import { DeadLetters } from './dead-letters.js';
import { Replies } from './replies.js';

/** What goes back to the senders of work messages: replies on their `reply_to`, dead letters, acknowledgements. */
@Module({ imports: [MessagingModule], providers: [DeadLetters, Replies], exports: [DeadLetters, Replies] })
export class AnswersModule {}
