import { Param, type PipeTransform } from '@nestjs/common';

/** A `*name` wildcard of the path: Express 5 gives its segments, decoded; the object name joins them again. */
class JoinSegmentsPipe implements PipeTransform<string | string[], string> {
  transform(value: string | string[]): string {
    return Array.isArray(value) ? value.join('/') : (value ?? '');
  }
}

/** The object name in the rest of the path (`*name` in the route), slashes and all. */
export const ObjectPath = (name: string) => Param(name, new JoinSegmentsPipe());
