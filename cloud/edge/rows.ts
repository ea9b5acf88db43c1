/** Rows as the database door reads and writes them: REST format, pointers and dates as Parse encodes them. */
export type Row = Record<string, any> & { objectId: string };

export const pointerTo = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
export const dateValue = (date: Date) => ({ __type: 'Date', iso: date.toISOString() });
/** A Date field of a row from findRows. */
export const dateOf = (value: { iso: string } | string | undefined) =>
  value === undefined ? undefined : new Date(typeof value === 'string' ? value : value.iso);
