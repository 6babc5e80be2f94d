/** The portal's entry: the city's look, the router, then the shell. */

import { mount } from 'svelte';
import '../styles/base.css';
import App from './App.svelte';
import { applyColors, loadCity } from '../lib/city';
import { shared } from '../lib/state.svelte';
import { start } from '../lib/router.svelte';

start();
const target = document.getElementById('app');
if (target) {
  target.textContent = '';
  mount(App, { target });
}
// The shell shows at once with neutral colours; the city's arrive with its answer.
void loadCity().then((city) => {
  shared.city = city;
  applyColors(city);
});
