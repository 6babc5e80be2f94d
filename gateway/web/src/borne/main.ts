/** The kiosk's entry. */

import { mount } from 'svelte';
import '../styles/base.css';
import Kiosk from './Kiosk.svelte';
import { applyColors, loadCity } from '../lib/city';
import { shared } from '../lib/state.svelte';

const target = document.getElementById('app');
if (target) {
  target.textContent = '';
  mount(Kiosk, { target });
}
void loadCity().then((city) => {
  shared.city = city;
  applyColors(city);
});
