/** The intranet's entry: the city's look, the router (owning `/agents/` only), the shell. */

import { mount } from 'svelte';
import '../styles/base.css';
import './agents.css';
import App from './App.svelte';
import { applyColors, loadCity } from '../lib/city';
import { shared } from '../lib/state.svelte';
import { start } from '../lib/router.svelte';
import { takeWorkstationSetup } from './workstation';

takeWorkstationSetup();
start(/^(?!\/agents(?:\/|$))/);
const target = document.getElementById('app');
if (target) {
  target.textContent = '';
  mount(App, { target });
}
void loadCity().then((city) => {
  shared.city = city;
  applyColors(city);
});
