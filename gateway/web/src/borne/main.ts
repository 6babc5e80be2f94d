/**
 * The kiosk's entry: takes a setup address's credentials off the address bar, sends the
 * kiosk's device token on every call, then reads the city and where the kiosk stands.
 */

import { mount } from 'svelte';
import '../styles/base.css';
import Borne from './Borne.svelte';
import { api } from '../lib/api/client';
import { applyColors, loadCity } from '../lib/city';
import { shared } from '../lib/state.svelte';
import { asKiosk, takeSetup } from './device';
import { kiosk } from './kiosk.svelte';

takeSetup();
api.use(asKiosk);
const target = document.getElementById('app');
if (target) {
  target.textContent = '';
  mount(Borne, { target });
}
void loadCity().then((city) => {
  shared.city = city;
  applyColors(city);
});
void kiosk.load();
