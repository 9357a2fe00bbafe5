import './styles.css';
import { App } from './app';

void new App().start();
