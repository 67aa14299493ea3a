/** RecordIO framing (Mesos recordio.md): `<decimal byte length>\n<bytes>`, nothing between records. */
export function encodeRecord(json: string): Buffer {
  const data = Buffer.from(json, "utf8");
  return Buffer.concat([Buffer.from(`${data.length}\n`, "ascii"), data]);
}
