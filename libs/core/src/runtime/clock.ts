import { Global, Module, type DynamicModule } from '@nestjs/common';

/**
 * The time the server decides by (quiz deadlines, expiry sweeps). Injected as this abstract class,
 * so tests replace it with a clock they move (ManualClock in #testing) instead of sleeping.
 * Database defaults (created_at, now()) still use PostgreSQL's clock; rules that compare against a
 * deadline must take `now()` from here and pass it to SQL as a parameter.
 */
export abstract class Clock {
  abstract now(): Date;
}

/** Wall-clock time. */
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** Provides Clock everywhere: the given one (tests) or the system clock. */
@Global()
@Module({})
export class ClockModule {
  static forRoot(clock?: Clock): DynamicModule {
    return {
      module: ClockModule,
      providers: [{ provide: Clock, useValue: clock ?? new SystemClock() }],
      exports: [Clock],
    };
  }
}
