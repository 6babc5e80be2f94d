// Leaflet's package points bundlers at its UMD build; its ES module build is the same
// library with the same types.
declare module 'leaflet/dist/leaflet-src.esm.js' {
  export * from 'leaflet';
}
