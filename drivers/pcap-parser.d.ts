/* Minimal types for pcap-parser 0.2 (CommonJS, no published types): the
 * events drivers/pcap-capture.ts listens to. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  namespace pcapParser {
    interface GlobalHeader {
      magicNumber: number;
      majorVersion: number;
      minorVersion: number;
      gmtOffset: number;
      timestampAccuracy: number;
      snapshotLength: number;
      linkLayerType: number;
    }
    interface PacketHeader {
      timestampSeconds: number;
      timestampMicroseconds: number;
      capturedLength: number;
      originalLength: number;
    }
    interface Parser extends EventEmitter {
      on(event: 'globalHeader', listener: (header: GlobalHeader) => void): this;
      on(event: 'packetHeader', listener: (header: PacketHeader) => void): this;
      on(event: 'packetData', listener: (data: Buffer) => void): this;
      on(event: 'packet', listener: (packet: { header: PacketHeader; data: Buffer }) => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
      on(event: 'end', listener: () => void): this;
    }
    /** A file path or a readable stream of pcap bytes. */
    function parse(input: string | Readable): Parser;
  }
  export = pcapParser;
}
